"""Documents: the print preview (Imprimer…, Enregistrer en PDF…) and the file dialogs."""
