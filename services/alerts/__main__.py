from shared.http.app import serve

serve("alerts", "services.alerts.app:create_app")
