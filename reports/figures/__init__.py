"""One module per figure or family of figures: pure functions, data in, Figure out."""
