"""The local cloud: run template.yaml on one machine with no Docker and no AWS account.

Each AWS service it emulates is a package under services/, named after the service; the modules
here compose them into one cloud and hold what every service shares. README.md in this folder
maps each folder and module to its job."""
