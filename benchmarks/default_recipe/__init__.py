"""Study: choosing the main job's default recipe (network sweep, the README's command on 2 CPU cores)."""
