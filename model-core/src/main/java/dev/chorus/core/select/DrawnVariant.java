package dev.chorus.core.select;

import dev.chorus.core.model.ModelSpec;
import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One point a search drew: its name ({@code s0}, {@code s1}, ... in the order drawn), the spec it trains, and the
 * value drawn for each path of the space, sorted by path, for the leaderboard.
 *
 * @param hyperparameters path to value: a {@link Long} for an integer key, a {@link Double} for another number, a
 *     {@link String} or {@link Boolean}, or the JSON text of an object chosen whole
 */
public record DrawnVariant(String name, ModelSpec spec, SortedMap<String, Object> hyperparameters) {

  public DrawnVariant {
    hyperparameters = Collections.unmodifiableSortedMap(new TreeMap<>(hyperparameters));
  }
}
