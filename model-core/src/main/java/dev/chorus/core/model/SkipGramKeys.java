package dev.chorus.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.core.output.SkipGramSpec;
import dev.chorus.core.spec.SpecReader;
import java.util.Iterator;
import java.util.List;

/**
 * The keys of a {@code skip-gram} {@link ModelSpec}: {@code skipGram} ({@link SkipGramSpec}), {@code tokensField}
 * (the named field of an example that carries its token sequence) and {@code seed}. A skip-gram task learns from
 * token sequences at its own learning rate, so an mlp's or a linear model's keys do not apply to it, and the skip-gram
 * keys apply to nothing else.
 */
final class SkipGramKeys {

  static final List<String> KEYS = List.of("algorithm", "seed", "skipGram", "tokensField");
  static final int MAX_FIELD_CHARS = 256;

  private SkipGramKeys() {}

  static ModelSpec parse(SpecReader root) {
    for (Iterator<String> keys = root.node().fieldNames(); keys.hasNext(); ) {
      String key = keys.next();
      if (!KEYS.contains(key)) {
        throw root.error(key, "expected none for algorithm \"" + ModelSpec.SKIP_GRAM + "\" (its keys: " + KEYS
            + "), got " + root.at(key).node());
      }
    }
    if (!root.has("skipGram")) {
      throw root.error("skipGram", "expected an object like {\"buckets\":1048576,\"dim\":100}, got nothing (key "
          + "missing)");
    }
    SkipGramSpec skipGram = SkipGramSpec.fromJson(root.at("skipGram"));
    String field = root.has("tokensField") ? root.string("tokensField") : ModelSpec.DEFAULT_TOKENS_FIELD;
    if (field.isEmpty() || field.length() > MAX_FIELD_CHARS) {
      throw root.error("tokensField", "expected a field name of 1 to " + MAX_FIELD_CHARS + " characters, got "
          + (field.isEmpty() ? "\"\"" : field.length() + " characters"));
    }
    TrainingSpec training = TrainingSpec.DEFAULTS.withSeed(root.longValue("seed", TrainingSpec.DEFAULT_SEED));
    return ModelSpec.skipGram(skipGram, field, training);
  }

  /** Another algorithm's spec has neither skip-gram key. */
  static void refuseUnless(String algorithm, SpecReader root) {
    for (String key : List.of("skipGram", "tokensField")) {
      if (root.has(key)) {
        throw root.error(key, "expected none unless algorithm is \"" + ModelSpec.SKIP_GRAM + "\", got "
            + root.at(key).node() + " for \"" + algorithm + "\"");
      }
    }
  }

  /**
   * Checks that {@code training} sets nothing but the seed: a copy of a skip-gram spec ({@code withBatchSize} …)
   * must not carry settings that would silently do nothing.
   */
  static TrainingSpec requireSeedOnly(TrainingSpec training) {
    ObjectNode given = SpecReader.newObject();
    training.writeJson(given);
    ObjectNode defaults = SpecReader.newObject();
    TrainingSpec.DEFAULTS.withSeed(training.seed()).writeJson(defaults);
    for (Iterator<String> keys = given.fieldNames(); keys.hasNext(); ) {
      String key = keys.next();
      JsonNode value = given.get(key);
      if (!value.equals(defaults.get(key))) {
        throw new IllegalArgumentException("ModelSpec key '" + key + "': expected none for algorithm \""
            + ModelSpec.SKIP_GRAM + "\" (it trains each sequence at its skipGram learningRate), got " + value);
      }
    }
    return training;
  }
}
