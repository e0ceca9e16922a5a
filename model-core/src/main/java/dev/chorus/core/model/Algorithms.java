package dev.chorus.core.model;

import static dev.chorus.core.model.ModelSpec.LARGE_SOFTMAX;
import static dev.chorus.core.model.ModelSpec.LINEAR_REGRESSION;
import static dev.chorus.core.model.ModelSpec.LINEAR_SVM;
import static dev.chorus.core.model.ModelSpec.LOGISTIC_REGRESSION;
import static dev.chorus.core.model.ModelSpec.MLP;
import static dev.chorus.core.model.ModelSpec.SKIP_GRAM;
import static dev.chorus.core.model.ModelSpec.SOFTMAX_REGRESSION;
import static dev.chorus.core.model.ModelSpec.WIDE_DEEP;

import dev.chorus.core.loss.BinaryHinge;
import dev.chorus.core.loss.ClassificationLoss;
import dev.chorus.core.loss.LogisticLoss;
import dev.chorus.core.loss.MulticlassHinge;
import dev.chorus.core.loss.SoftmaxCrossEntropy;
import dev.chorus.core.loss.SoftmaxSquaredError;
import dev.chorus.core.loss.SquaredError;
import dev.chorus.core.spec.SpecReader;
import java.util.List;
import java.util.Map;

/** The algorithms a {@link ModelSpec} may name, and the outputs and losses that fit each. */
final class Algorithms {

  static final List<String> NAMES =
      List.of(LINEAR_REGRESSION, LOGISTIC_REGRESSION, SOFTMAX_REGRESSION, LINEAR_SVM, MLP, WIDE_DEEP, LARGE_SOFTMAX,
          SKIP_GRAM);
  private static final Map<String, ClassificationLoss> CLASSIFICATION_LOSSES = Map.of(
      SoftmaxCrossEntropy.NAME, SoftmaxCrossEntropy.INSTANCE,
      LogisticLoss.NAME, LogisticLoss.INSTANCE,
      BinaryHinge.NAME, BinaryHinge.INSTANCE,
      MulticlassHinge.NAME, MulticlassHinge.INSTANCE,
      SoftmaxSquaredError.NAME, SoftmaxSquaredError.INSTANCE);

  private Algorithms() {}

  static String valid(String algorithm) {
    if (!NAMES.contains(algorithm)) {
      throw new IllegalArgumentException(
          "ModelSpec key 'algorithm': expected one of " + NAMES + ", got \"" + algorithm + "\"");
    }
    return algorithm;
  }

  /** The hidden layers, which an mlp and a wide-deep model's deep part need and the linear algorithms do not take. */
  static List<HiddenLayerSpec> validLayers(String algorithm, List<HiddenLayerSpec> layers) {
    if (algorithm.equals(MLP) && layers.isEmpty()) {
      throw new IllegalArgumentException("ModelSpec key 'layers': an mlp needs at least one hidden layer, got []");
    }
    if (algorithm.equals(WIDE_DEEP) && layers.isEmpty()) {
      throw new IllegalArgumentException("ModelSpec key 'layers': " + WIDE_DEEP
          + " needs at least one hidden layer, got []");
    }
    if (!algorithm.equals(MLP) && !algorithm.equals(WIDE_DEEP) && !layers.isEmpty()) {
      throw new IllegalArgumentException("ModelSpec key 'layers': only algorithm \"mlp\" has hidden layers, got "
          + layers.size() + " for \"" + algorithm + "\"");
    }
    return List.copyOf(layers);
  }

  /** The classification loss named {@code name}; {@code null} for squared error or an unknown name. */
  static ClassificationLoss classificationLoss(String name) {
    return CLASSIFICATION_LOSSES.get(name);
  }

  /**
   * The number of classes a spec asks for ({@code numClasses}, 0 when absent), checked against the algorithm; 0 for
   * a regressor. {@code loss} is the requested one, {@code null} for the default.
   */
  static int validNumClasses(String algorithm, int numClasses, String loss) {
    boolean absent = numClasses == 0;
    switch (algorithm) {
      case LINEAR_REGRESSION -> {
        if (!absent) {
          throw new IllegalArgumentException("ModelSpec key 'numClasses': " + LINEAR_REGRESSION
              + " predicts one real value and takes no numClasses, got " + numClasses);
        }
        return 0;
      }
      case LOGISTIC_REGRESSION -> {
        if (!absent && numClasses != 2) {
          throw new IllegalArgumentException("ModelSpec key 'numClasses': " + LOGISTIC_REGRESSION
              + " is binary, expected 2, got " + numClasses);
        }
        return 2;
      }
      case MLP, WIDE_DEEP -> {
        if (absent) {
          if (!SquaredError.NAME.equals(loss)) {
            throw new IllegalArgumentException("ModelSpec key 'numClasses': expected an integer, got nothing (key "
                + "missing); " + (algorithm.equals(MLP) ? "an mlp" : "a " + algorithm) + " without numClasses is a regressor and needs \"loss\":\"squared-error\"");
          }
          return 0;
        }
        return atLeastTwo(numClasses);
      }
      default -> {
        if (absent) {
          throw new IllegalArgumentException("ModelSpec key 'numClasses': expected an integer, got nothing (key missing)");
        }
        return atLeastTwo(numClasses);
      }
    }
  }

  private static int atLeastTwo(int numClasses) {
    if (numClasses < 2) {
      throw new IllegalArgumentException("ModelSpec key 'numClasses': expected an integer >= 2, got " + numClasses);
    }
    return numClasses;
  }

  /** The loss named {@code requested} (or the algorithm's default, for {@code null}) if it fits the algorithm. */
  static String validLoss(String algorithm, int numClasses, String requested) {
    List<String> fitting = switch (algorithm) {
      case LINEAR_REGRESSION -> List.of(SquaredError.NAME);
      case LOGISTIC_REGRESSION -> List.of(LogisticLoss.NAME);
      // A large-softmax output layer's objective estimates (or, hierarchical, factorises) the full softmax's.
      case SOFTMAX_REGRESSION, LARGE_SOFTMAX -> List.of(SoftmaxCrossEntropy.NAME);
      case LINEAR_SVM -> numClasses == 2 ? List.of(BinaryHinge.NAME, MulticlassHinge.NAME) : List.of(MulticlassHinge.NAME);
      case MLP -> numClasses == 0 ? List.of(SquaredError.NAME) : numClasses == 2
          ? List.of(SoftmaxCrossEntropy.NAME, LogisticLoss.NAME, BinaryHinge.NAME, MulticlassHinge.NAME,
              SoftmaxSquaredError.NAME)
          : List.of(SoftmaxCrossEntropy.NAME, MulticlassHinge.NAME, SoftmaxSquaredError.NAME);
      // The wide part's losses: the ones a sparse linear model trains.
      case WIDE_DEEP -> numClasses == 0 ? List.of(SquaredError.NAME) : numClasses == 2
          ? List.of(LogisticLoss.NAME, SoftmaxCrossEntropy.NAME) : List.of(SoftmaxCrossEntropy.NAME);
      default -> throw new AssertionError(algorithm);
    };
    if (requested == null) {
      return fitting.get(0);
    }
    if (fitting.contains(requested)) {
      return requested;
    }
    String output = numClasses == 0 ? "a real-valued output" : numClasses + " classes";
    String hint = !CLASSIFICATION_LOSSES.containsKey(requested) && !requested.equals(SquaredError.NAME)
        ? "unknown loss"
        : requested.equals(SquaredError.NAME)
            ? "squared-error is for regression; on a classifier's probabilities say \"" + SoftmaxSquaredError.NAME + "\""
            : "it does not fit " + output;
    throw new IllegalArgumentException("ModelSpec key 'loss': " + algorithm + " with " + output
        + " takes one of " + SpecReader.quoted(fitting) + ", got \"" + requested + "\" (" + hint + ")");
  }
}
