"""`make demo`: the platform's main job, on the embedded local runtime."""
