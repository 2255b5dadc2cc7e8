"""The API docs page's own files (shared.http.docs); Swagger UI's come from its package."""
