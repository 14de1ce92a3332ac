"""Final grades: the grade policy, gradebook, explanations and exports."""
