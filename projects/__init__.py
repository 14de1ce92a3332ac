"""Projects: groups of 3, proposals and approval, compute accounts, reports, orals and help sessions."""
