// Stub: an include target of the layering self-test.
