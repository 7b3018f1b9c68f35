"""Reading and repairing text: file formats and encodings, mojibake repair, page furniture, title/date/source,
paragraphs rebuilt from hard-wrapped lines, and passages. Imports nothing else of the package but its errors."""
