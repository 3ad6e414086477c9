"""Report writers: a Result's JSON, tables (CSV) and figures (HTML, PNG, SVG) in one folder."""
