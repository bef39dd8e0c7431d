"""The GridBalance contracts as Python sees them: artifacts, build profiles, the deployment manifest, typed bindings, enums and errors."""
