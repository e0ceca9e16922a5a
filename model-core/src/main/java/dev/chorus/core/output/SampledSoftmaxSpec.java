package dev.chorus.core.output;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.core.spec.SpecReader;
import java.util.Arrays;
import java.util.List;

/**
 * Config of a {@link SampledSoftmax} output layer: {@code {"classes":1000000,"negatives":64,
 * "objective":"sampled-softmax"}}. A record of its own, to become the value of a model spec key.
 *
 * @param classes the number of classes, ids numbered by decreasing frequency (the proposal assumes it)
 * @param negatives k, the classes drawn per minibatch from the proposal, shared by its rows
 * @param objective sampled softmax (Jean et al. 2015) or word2vec's negative sampling, its binary variant
 */
public record SampledSoftmaxSpec(int classes, int negatives, Objective objective) {

  public static final int DEFAULT_NEGATIVES = 64;
  public static final int MAX_NEGATIVES = 100_000;
  private static final List<String> KEYS = List.of("classes", "negatives", "objective");

  /** What the sampled logits are trained with. */
  public enum Objective {
    /** Softmax cross-entropy over the true class and the sample, each logit less {@code log Q}. */
    SAMPLED_SOFTMAX("sampled-softmax"),
    /** Mikolov et al.'s SGNS: a logistic loss, true class positive, each sampled class negative; no correction. */
    NEGATIVE_SAMPLING("negative-sampling");

    private final String json;

    Objective(String json) {
      this.json = json;
    }

    public String json() {
      return json;
    }
  }

  public SampledSoftmaxSpec {
    if (classes < 2) {
      throw new IllegalArgumentException("key 'classes': expected an integer >= 2, got " + classes);
    }
    if (negatives < 1 || negatives > MAX_NEGATIVES) {
      throw new IllegalArgumentException("key 'negatives': expected an integer in [1, " + MAX_NEGATIVES + "], got "
          + negatives);
    }
  }

  /** Reads {@code {"classes":C,"negatives":k,"objective":"sampled-softmax"}}; negatives and objective default. */
  public static SampledSoftmaxSpec fromJson(SpecReader json) {
    json.requireObject("an object like {\"classes\":1000000,\"negatives\":64}");
    json.requireKnownKeys(KEYS);
    int classes = json.intValue("classes");
    int negatives = json.intValue("negatives", DEFAULT_NEGATIVES);
    Objective objective = Objective.SAMPLED_SOFTMAX;
    if (json.has("objective")) {
      String name = json.string("objective");
      List<String> names = Arrays.stream(Objective.values()).map(Objective::json).toList();
      objective = Arrays.stream(Objective.values()).filter(o -> o.json.equals(name)).findFirst()
          .orElseThrow(() -> json.error("objective", "expected one of " + SpecReader.quoted(names) + ", got \""
              + name + "\""));
    }
    Objective chosen = objective;
    return json.validated(() -> new SampledSoftmaxSpec(classes, negatives, chosen));
  }

  public void writeJson(ObjectNode json) {
    json.put("classes", classes);
    json.put("negatives", negatives);
    json.put("objective", objective.json);
  }
}
