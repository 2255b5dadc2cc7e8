from shared.http.app import serve

serve("casework", "services.casework.app:create_app")
