"""Models of the meetings app: arrive with their own issue."""
