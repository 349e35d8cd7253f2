"""The privacy notice: versioned, edited by organisers, referred to by every consent."""
