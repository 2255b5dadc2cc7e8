"""The ops dashboard's static files (HTML, JS, CSS; no build step), served by
services.casework.api.dashboard.

A package only so that the files ship in the wheel as package data.
"""
