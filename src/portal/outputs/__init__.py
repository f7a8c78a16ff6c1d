"""What a build writes: pages, the feed, tables, the Excel and Word documents, the search index."""
