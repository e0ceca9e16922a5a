package dev.chorus.core.output;

/** A class (or a vocabulary bucket) and its score: a probability for the output layers, a cosine for neighbours. */
public record Scored(int id, double score) {}
