"""The local cloud: run template.yaml on one machine with no Docker and no AWS account."""
