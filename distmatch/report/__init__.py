"""Reports drawn from run and sweep directories: the shared figure style, animations, the HTML report."""
