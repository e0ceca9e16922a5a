package dev.chorus.core.select;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.spec.SpecReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a record of the {@code chorus.specs} control topic carries: a {@link ModelSpec}'s keys, read by
 * {@link ModelSpec#parse} unchanged, plus the keys that manage the variant, taken out before the model's are read:
 * <ul>
 *   <li>{@code search} ({@link SearchSpec}): draw {@code variants} specs from a space instead of training one;
 *   <li>{@code drift} ({@link DriftSpec}): the detector on the variant's prequential loss and its reaction;
 *   <li>{@code warmStart} ({@link WarmStart}): start from another variant's snapshot or a model file;
 *   <li>{@code revive}: {@code true} lets a spec for a retired variant's key bring it back;
 *   <li>{@code reset}: {@code true} (with {@code revive}) marks a reset in place of a live variant, which the job
 *       refuses for a key it knows retired: a reset never revives (one that crossed a retirement on the control
 *       topic is a dead letter).
 * </ul>
 * A search's variants are drawn when the spec is read, so a point of the space that makes an invalid spec refuses
 * the whole spec with the reason; so does a {@code drift.forkSpace} that does not fit the base or one of them.
 * {@link #toJson()} writes the model's canonical JSON, then the management keys present, defaults included, so
 * {@code parse(toJson())} equals this spec and writes the same JSON.
 */
public final class VariantSpec {

  public static final String SEARCH = "search";
  public static final String DRIFT = "drift";
  public static final String WARM_START = "warmStart";
  public static final String REVIVE = "revive";
  public static final String RESET = "reset";
  private static final List<String> MANAGEMENT_KEYS = List.of(SEARCH, DRIFT, WARM_START, REVIVE, RESET);

  private final ModelSpec model;
  private final SearchSpec search;
  private final List<DrawnVariant> variants;
  private final DriftSpec drift;
  private final WarmStart warmStart;
  private final boolean revive;
  private final boolean reset;

  private VariantSpec(ModelSpec model, SearchSpec search, List<DrawnVariant> variants, DriftSpec drift,
      WarmStart warmStart, boolean revive, boolean reset) {
    this.model = model;
    this.search = search;
    this.variants = List.copyOf(variants);
    this.drift = drift;
    this.warmStart = warmStart;
    this.revive = revive;
    this.reset = reset;
  }

  /**
   * Parses and validates a control-topic spec.
   *
   * @param maxVariantsPerTask the most variants a search or a fork may start
   * @throws IllegalArgumentException naming the offending key, what was expected and what was found
   */
  public static VariantSpec parse(String json, int maxVariantsPerTask) {
    SpecReader root = SpecReader.document(json, "VariantSpec");
    List<String> known = new ArrayList<>(ModelSpec.KEYS);
    known.addAll(MANAGEMENT_KEYS);
    root.requireKnownKeys(known);
    ObjectNode modelKeys = ((ObjectNode) root.node()).deepCopy();
    modelKeys.remove(MANAGEMENT_KEYS);
    ModelSpec model = ModelSpec.parse(modelKeys.toString());
    SearchSpec search = root.has(SEARCH) ? SearchSpec.fromJson(root.at(SEARCH), model, maxVariantsPerTask) : null;
    // Drawn now, so that a point of the space that is not a valid spec refuses this spec, naming the space.
    List<DrawnVariant> variants = search == null ? List.of() : root.at(SEARCH).at("space").validated(
        () -> search.draw(model));
    DriftSpec drift = root.has(DRIFT) ? DriftSpec.fromJson(root.at(DRIFT), model, maxVariantsPerTask)
        : DriftSpec.NO_DRIFT;
    // A search's variants carry its drift, so its fork space must fit each of them as it fits the base: each is read
    // again wherever the job holds it.
    for (DrawnVariant variant : drift.forkSpace() == null ? List.<DrawnVariant>of() : variants) {
      try {
        DriftSpec.fromJson(root.at(DRIFT), variant.spec(), maxVariantsPerTask);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(e.getMessage() + " (around search variant " + variant.name() + " at "
            + variant.hyperparameters() + ", whose drift it is too)", e);
      }
    }
    WarmStart warmStart = root.has(WARM_START) ? WarmStart.fromJson(root.at(WARM_START)) : null;
    boolean revive = root.booleanValue(REVIVE, false);
    boolean reset = root.booleanValue(RESET, false);
    if (reset && !revive) {
      throw root.error(RESET, "expected \"revive\":true beside \"reset\":true (a reset restarts the live variant "
          + "in place), got no \"revive\":true");
    }
    if (reset && search != null) {
      throw root.error(RESET, "expected no search beside \"reset\":true (a reset restarts one live variant), got "
          + "a search");
    }
    return new VariantSpec(model, search, variants, drift, warmStart, revive, reset);
  }

  /** The model's canonical JSON ({@link ModelSpec#toJson()}), then {@code search}, {@code drift} (unless none),
   * {@code warmStart}, {@code revive} and {@code reset} (each if true). */
  public String toJson() {
    ObjectNode json = (ObjectNode) SpecReader.document(model.toJson()).node();
    if (search != null) {
      search.writeJson(json.putObject(SEARCH));
    }
    if (!drift.equals(DriftSpec.NO_DRIFT)) {
      drift.writeJson(json.putObject(DRIFT));
    }
    if (warmStart != null) {
      warmStart.writeJson(json.putObject(WARM_START));
    }
    if (revive) {
      json.put(REVIVE, true);
    }
    if (reset) {
      json.put(RESET, true);
    }
    return json.toString();
  }

  /** The spec as written (without a search, the one the variant trains; with one, the base of the space). */
  public ModelSpec model() {
    return model;
  }

  public Optional<SearchSpec> search() {
    return Optional.ofNullable(search);
  }

  /** The variants the search drew, {@code s0} first; empty without a search. */
  public List<DrawnVariant> variants() {
    return variants;
  }

  /** The drift detector and reaction; {@link DriftSpec#NO_DRIFT} without a {@code drift} key. */
  public DriftSpec drift() {
    return drift;
  }

  public Optional<WarmStart> warmStart() {
    return Optional.ofNullable(warmStart);
  }

  /** Whether this spec may bring back a retired variant of its key. */
  public boolean revive() {
    return revive;
  }

  /** Whether this spec is a reset in place, which never revives a retired key. */
  public boolean reset() {
    return reset;
  }

  /**
   * Whether {@code other} asks for the same variant as this: the same model, search and drift, whatever their JSON's
   * key order or defaults, whatever its {@code revive} and {@code reset} (which a revival or a reset writes into the live spec) and
   * whatever its warm start, which says only how a variant starts (a reset's record has none, and a live variant
   * started long ago).
   */
  public boolean sameVariantAs(VariantSpec other) {
    return other.model.equals(model) && Objects.equals(other.search, search) && other.drift.equals(drift);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof VariantSpec s && s.model.equals(model) && Objects.equals(s.search, search)
        && s.drift.equals(drift) && Objects.equals(s.warmStart, warmStart) && s.revive == revive
        && s.reset == reset;
  }

  @Override
  public int hashCode() {
    return Objects.hash(model, search, drift, warmStart, revive, reset);
  }

  @Override
  public String toString() {
    return toJson();
  }
}
