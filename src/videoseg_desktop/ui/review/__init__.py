"""The review room: review mode (queue navigation, accept/reject, workflow states), the
activity tracker, the user-name preference and the project statistics window."""
