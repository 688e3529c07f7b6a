"""Script and style that patrolmap puts inside each HTML map."""
