from shared.http.app import serve

serve("surveys", "services.surveys.app:create_app")
