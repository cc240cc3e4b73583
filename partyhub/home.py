"""The home page's "pending work" sections: apps register a provider in their AppConfig.ready()."""
