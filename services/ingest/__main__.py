from shared.http.app import serve

serve("ingest", "services.ingest.app:create_app")
