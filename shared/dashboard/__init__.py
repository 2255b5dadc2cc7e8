"""The ops dashboard's static files (HTML, JS, CSS; no build step), served by shared.http.dashboard.

A package only so that the files ship in the wheel as package data.
"""
