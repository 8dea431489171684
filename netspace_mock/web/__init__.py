"""Pages and static assets served to browsers and integrators, unsigned and offline."""
