package dev.chorus.core.select;

import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What a rung of a search decided, with its evidence: every variant live in the rung, its mean prequential loss
 * over the rung's examples (the same examples for all), who goes on and who is retired.
 *
 * @param rung the rung, 0 first
 * @param examples the examples the rung's means are over
 * @param survivors the variants that go on, best first
 * @param retired the variants retired, best first; empty for a random search
 * @param meanLoss each variant's mean loss on the rung, by name
 */
public record Decision(int rung, long examples, List<String> survivors, List<String> retired,
    SortedMap<String, Double> meanLoss) {

  public Decision {
    survivors = List.copyOf(survivors);
    retired = List.copyOf(retired);
    meanLoss = Collections.unmodifiableSortedMap(new TreeMap<>(meanLoss));
  }
}
