package dev.chorus.core.select;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.spec.SpecReader;
import java.util.List;

/**
 * A spec's {@code "search"}: how many variants to draw from {@code space} and how to choose among them,
 * {@code {"method":"successive-halving","variants":8,"budgetExamples":60000,"seed":7,"space":{...}}}.
 *
 * @param method {@value #SUCCESSIVE_HALVING} retires the worse half at each rung ({@link SuccessiveHalving});
 *     {@value #RANDOM} keeps every variant and publishes the same evidence
 * @param budgetExamples the examples the rungs span in all
 * @param seed the draw's seed; absent, the spec's own {@code seed}
 */
public record SearchSpec(String method, int variants, long budgetExamples, long seed, SearchSpace space) {

  public static final String SUCCESSIVE_HALVING = "successive-halving";
  public static final String RANDOM = "random";
  private static final List<String> METHODS = List.of(SUCCESSIVE_HALVING, RANDOM);
  private static final List<String> KEYS = List.of("method", "variants", "budgetExamples", "seed", "space");

  /** Reads {@code json} ({@code search}) for base spec {@code base}. */
  static SearchSpec fromJson(SpecReader json, ModelSpec base, int maxVariantsPerTask) {
    json.requireObject("an object like {\"method\":\"successive-halving\",\"variants\":8,...}");
    json.requireKnownKeys(KEYS);
    String method = json.string("method");
    if (!METHODS.contains(method)) {
      throw json.error("method", "expected one of " + SpecReader.quoted(METHODS) + ", got \"" + method + "\"");
    }
    int variants = json.intValue("variants");
    if (variants < 1 || variants > maxVariantsPerTask) {
      throw json.error("variants", "expected an integer from 1 to maxVariantsPerTask " + maxVariantsPerTask
          + ", got " + variants);
    }
    long budget = json.longValue("budgetExamples", -1);
    int rungs = SuccessiveHalving.rungCount(variants);
    long least = (1L << rungs) - 1;
    if (budget < Math.max(1, least)) {
      throw json.error("budgetExamples", "expected at least " + Math.max(1, least) + " (" + rungs + " rungs of "
          + leastRungs(rungs) + " examples at the least) for " + variants + " variants, got "
          + (json.has("budgetExamples") ? budget : "nothing (key missing)"));
    }
    long seed = json.longValue("seed", base.seed());
    SearchSpace space = SearchSpace.fromJson(json.at("space"), base);
    return new SearchSpec(method, variants, budget, seed, space);
  }

  /** The variants this search draws from {@code base}; see {@link SearchSpace#draw}. */
  List<DrawnVariant> draw(ModelSpec base) {
    return space.draw(base, variants, seed);
  }

  /** Whether rungs retire variants ({@value #SUCCESSIVE_HALVING}) or only publish evidence ({@value #RANDOM}). */
  public boolean halving() {
    return method.equals(SUCCESSIVE_HALVING);
  }

  void writeJson(ObjectNode json) {
    json.put("method", method);
    json.put("variants", variants);
    json.put("budgetExamples", budgetExamples);
    json.put("seed", seed);
    space.writeJson(json.putObject("space"));
  }

  private static String leastRungs(int rungs) {
    StringBuilder lengths = new StringBuilder();
    for (int k = 0; k < rungs; k++) {
      lengths.append(k == 0 ? "" : ", ").append(1L << k);
    }
    return lengths.toString();
  }
}
