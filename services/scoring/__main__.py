from shared.http.app import serve

serve("scoring", "services.scoring.app:create_app")
