package dev.chorus.core.annotators;

import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.Predictor;
import java.io.DataOutput;
import java.io.IOException;
import java.util.List;

/**
 * An online classifier that learns from labels given by many annotators, and what it has learned about each
 * annotator. Implementations are selected by {@link #name()} through {@link LabelModels}. Not thread-safe.
 */
public interface LabelModel extends Predictor {

  /** The method's name: one of {@link LabelModels#NAMES}. */
  String name();

  int numClasses();

  int inputDim();

  /** The most annotators this model tracks. */
  int maxAnnotators();

  /** The classifier's spec; its {@link ModelSpec#labelModel()} may name this method. */
  @Override
  ModelSpec spec();

  /** Label models are classifiers. */
  @Override
  default boolean isClassifier() {
    return true;
  }

  @Override
  default int outputDim() {
    return numClasses();
  }

  /** @throws IllegalStateException always: a label model is a classifier */
  @Override
  default float predictValue(float[] x, int xOffset) {
    throw new IllegalStateException("predictValue: a label model is a classifier; use predictProba or predict");
  }

  /** Whether {@code id} holds a slot, so that its labels never count against {@link #maxAnnotators()}. */
  boolean knowsAnnotator(String id);

  /** Annotators holding a slot now. */
  int annotatorCount();

  /**
   * The first of the first {@code n} of {@code annotators} that {@link #train} would refuse with an
   * {@link AnnotatorLimitException} if they came in one minibatch, or {@code null} if all would find a slot (free,
   * or evicted from an annotator with fewer labels than the spec's {@code protectedLabels}). Changes nothing.
   */
  String firstRefusedAnnotator(String[] annotators, int n);

  /** Annotators evicted so far to make room for new ones. */
  long annotatorEvictions();

  /**
   * The bounded per-item label history (its size and evictions tell how close the bounds are), or {@code null}
   * for a method that does not remember an item's earlier labels.
   */
  default ItemLabelHistory history() {
    return null;
  }

  /**
   * The consensus on {@code item}: the posterior over its true class given the labels its history remembers and the
   * annotators' current confusions ({@link ItemConsensus#posterior}); {@code null} for an item with no remembered
   * label (never labelled, or evicted from the history) and for a method without a history (doctor-net, and a naive
   * model saved before naive kept one).
   *
   * @param prior the classifier's class probabilities for the item, or {@code null} for the running class prior
   *     (an item not seen with its features, and every item of a label-only task); the running class prior also
   *     stands in for a prior that is no class distribution (not finite, negative or all zero)
   */
  default ItemConsensus consensus(long item, float[] prior) {
    return null;
  }

  /** Labels from {@code id} trained on so far; 0 for an annotator not seen. Allocates nothing. */
  long labelsSeen(String id);

  /**
   * Trains on {@code n} label events: annotator {@code annotators[e]} labelled item {@code items[e]}, whose
   * features are {@code x[e·inputDim ..]}, as class {@code labels[e]}.
   *
   * @throws AnnotatorLimitException if a new annotator of the events finds no slot, neither free nor evictable
   *     ({@link #firstRefusedAnnotator}); nothing changes then
   * @throws IllegalArgumentException before any state changes, if an argument is invalid
   */
  void train(float[] x, long[] items, String[] annotators, int[] labels, int n);

  /** Class probabilities of the combined model for the example at {@code x[xOffset ..]} into {@code out[0 .. numClasses)}. */
  @Override
  void predictProba(float[] x, int xOffset, float[] out);

  /** The most probable class of the example at {@code x[xOffset ..]}, the lowest index on ties. */
  default int predict(float[] x, int xOffset) {
    float[] p = new float[numClasses()];
    predictProba(x, xOffset, p);
    int best = 0;
    for (int c = 1; c < p.length; c++) {
      if (p[c] > p[best]) {
        best = c;
      }
    }
    return best;
  }

  /** What the model knows about {@code id}; for an annotator it has not seen, the prior with 0 labels seen. */
  AnnotatorModel annotator(String id);

  /**
   * Identifiers of the annotators holding a slot, in slot order: order of first appearance until an eviction gives
   * an evicted annotator's slot, and so its place in this list, to a new one.
   */
  List<String> annotatorIds();

  /** An independent deep copy. */
  LabelModel copy();

  /** Writes the complete state, exactly; {@link LabelModels#readFrom} reads it back. */
  void writeTo(DataOutput out) throws IOException;

  /**
   * What a model snapshot needs: {@link #toBytes} with an empty per-item label history of the same bounds, which
   * is training-only state and can be far larger than the model. {@link LabelModels#fromBytes} reads it back.
   */
  default byte[] toSnapshotBytes() {
    return toBytes();
  }

  /** {@link #writeTo} into a byte array; {@link LabelModels#fromBytes} reads it back. */
  @Override
  default byte[] toBytes() {
    return LabelModels.bytes(this::writeTo);
  }
}
