"""Protocol clients for external services (DHL, Tradera, Catawiki, AI providers, Make.com, ECB); no database."""
