"""Human-readable reports (HTML pages with embedded plots) of what the pipelines did."""
