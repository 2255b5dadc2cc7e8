"""Operating Lazo, not Lazo itself: the development launcher (`make run`), the embedded broker,
provisioning (topics, the development key), migrations and migration authoring. Nothing under
services/ or shared/ imports this package."""
