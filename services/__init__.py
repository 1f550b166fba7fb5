"""Business logic. Knows nothing of NiceGUI; every public function takes the acting user (`Actor`)."""
