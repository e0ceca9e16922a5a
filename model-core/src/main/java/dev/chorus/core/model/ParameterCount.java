package dev.chorus.core.model;

import dev.chorus.core.output.SkipGramSpec;

/**
 * How many parameters a model of a {@link ModelSpec} holds at its full size ({@link ModelSpec#parameterCount()}),
 * counted from the spec alone, before anything is allocated: what each model's constructor allocates as weights,
 * biases and tables. Sums and products saturate at {@link Long#MAX_VALUE}, so a spec no JVM could hold still gets a
 * count to compare with a bound.
 */
final class ParameterCount {

  private ParameterCount() {}

  static long of(ModelSpec spec) {
    if (spec.skipGram() != null) {
      SkipGramSpec skipGram = spec.skipGram();
      // An input and an output vector per bucket (SkipGram).
      return times(2, times(skipGram.buckets(), skipGram.dim()));
    }
    int outputs = spec.isClassifier() ? spec.classificationLoss().outputDim(spec.numClasses()) : 1;
    if (spec.algorithm().equals(ModelSpec.LARGE_SOFTMAX)) {
      long dim = spec.output().dim();
      long classes = spec.numClasses();
      // The hashed input table, then a row and a bias per class (sampled) or per inner node (hierarchical).
      long rows = spec.output().type() == LargeOutputSpec.Type.HIERARCHICAL_SOFTMAX ? classes - 1 : classes;
      return plus(times(spec.inputDim(), dim), times(rows, dim + 1));
    }
    if (spec.algorithm().equals(ModelSpec.WIDE_DEEP)) {
      EmbeddingsSpec embeddings = spec.embeddings();
      long tables = times(embeddings.fields().size(), times(embeddings.buckets(), embeddings.dim()));
      return plus(plus(hashedLinear(spec.inputDim(), outputs), tables),
          network(spec, embeddings.inputWidth(), outputs));
    }
    if (spec.hashing() != null) {
      return hashedLinear(spec.inputDim(), outputs);
    }
    return plus(network(spec, spec.inputDim(), outputs), labelModel(spec));
  }

  /**
   * Floats a full minibatch needs at least: per example, its dense inputs (a hashed model's stay sparse), one value
   * per hidden unit and one per output; the buffers a trainer keeps are a small multiple of it.
   */
  static long minibatch(ModelSpec spec) {
    if (spec.skipGram() != null) {
      return 0;
    }
    long outputs = spec.isClassifier() ? spec.classificationLoss().outputDim(spec.numClasses()) : 1;
    long perExample;
    if (spec.algorithm().equals(ModelSpec.LARGE_SOFTMAX)) {
      perExample = 2L * spec.output().dim();
    } else if (spec.algorithm().equals(ModelSpec.WIDE_DEEP)) {
      perExample = plus(plus(spec.embeddings().inputWidth(), hiddenUnits(spec)), 2 * outputs);
    } else {
      perExample = plus(plus(spec.hashing() != null ? 0 : spec.inputDim(), hiddenUnits(spec)), outputs);
    }
    return times(spec.batchSize(), perExample);
  }

  private static long hiddenUnits(ModelSpec spec) {
    long units = 0;
    for (HiddenLayerSpec layer : spec.layers()) {
      units = plus(units, layer.units());
    }
    return units;
  }

  /** A row of weights per hashed dimension and one of biases (SparseLinearModel). */
  private static long hashedLinear(long inputDim, int outputs) {
    return times(inputDim + 1, outputs);
  }

  /** The dense layers NetworkBuilder builds: weights, biases (none before an affine batch norm), gamma and beta. */
  private static long network(ModelSpec spec, long inputWidth, int outputs) {
    long count = 0;
    long width = inputWidth;
    for (HiddenLayerSpec layer : spec.layers()) {
      long units = layer.units();
      boolean normalizeAffine = layer.batchNorm() && !layer.batchNormAfterActivation();
      count = plus(count, plus(times(width, units), normalizeAffine ? 0 : units));
      if (layer.batchNorm()) {
        count = plus(count, 2 * units);
      }
      width = units;
    }
    return plus(count, times(width + 1, outputs));
  }

  /**
   * A label model's per-annotator state at {@code maxAnnotators}: a confusion matrix each, and for the Doctor Net
   * methods a head each (the last hidden width, or the input, to the classes, with biases).
   */
  private static long labelModel(ModelSpec spec) {
    LabelModelSpec labelModel = spec.labelModel();
    if (labelModel == null) {
      return 0;
    }
    long k = spec.numClasses();
    long perAnnotator = times(k, k);
    if (labelModel.method().contains("doctor-net")) {
      long width = spec.layers().isEmpty() ? spec.inputDim() : spec.layers().get(spec.layers().size() - 1).units();
      perAnnotator = plus(perAnnotator, times(width + 1, k));
    }
    return times(labelModel.maxAnnotators(), perAnnotator);
  }

  /** Labels a label model's per-item history may hold: each remembered item has room for maxLabelsPerItem. */
  static long labelHistory(ModelSpec spec) {
    LabelModelSpec labelModel = spec.labelModel();
    return labelModel == null ? 0 : times(labelModel.historyItems(), labelModel.maxLabelsPerItem());
  }

  static long times(long a, long b) {
    long high = Math.multiplyHigh(a, b);
    long low = a * b;
    return high != 0 || low < 0 ? Long.MAX_VALUE : low;
  }

  static long plus(long a, long b) {
    long sum = a + b;
    return sum < 0 ? Long.MAX_VALUE : sum;
  }
}
