"""Look and feel shared by every ui room: icons, and how input fields give the keyboard back."""
