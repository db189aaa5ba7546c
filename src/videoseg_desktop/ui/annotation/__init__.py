"""Prompting objects: clicks and boxes become requests to the model and masks in the store."""
