package dev.chorus.core.annotators;

/**
 * What a {@link LabelModel} has learned about one annotator.
 *
 * @param id the annotator's identifier
 * @param confusion estimated {@code K × K} confusion matrix, row = true class, each row summing to 1; a copy
 * @param reliability the diagonal of {@code confusion} averaged with the model's class prior as weights: the
 *     estimated probability that this annotator's label is correct
 * @param weight the annotator's averaging weight where the method has one (weighted Doctor Net), else NaN
 * @param labelsSeen labels from this annotator the model has trained on; 0 for an unseen annotator's prior
 */
public record AnnotatorModel(String id, double[][] confusion, double reliability, double weight, long labelsSeen) {}
