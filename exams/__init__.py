"""The take-home exam: date poll, question release, answer uploads, Part I / Part II marking."""
