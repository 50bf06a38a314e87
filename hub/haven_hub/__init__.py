"""Haven's hub side: settings, projects, the spawner, networks and start-up."""
