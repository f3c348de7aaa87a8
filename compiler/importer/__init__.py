"""Import an issued document into a policy skeleton, and prove a policy's text is its source's."""
