"""The Rasa NLU project (data files) and the bot-side code that trains, serves and calls it."""
