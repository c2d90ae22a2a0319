/**
 * Instances for the prediction scenarios, made from the model card the gateway serves: every number
 * feature walks its training range on a stride of its own, every category its values, so the requests
 * differ and none is out of range (no warning to build). Deterministic: the same card, the same list.
 */
export async function readPredictInstances(gatewayUrl, count) {
  const response = await fetch(`${gatewayUrl}/api/predict/model`);
  if (response.status !== 200) throw new Error(`GET /api/predict/model answered ${response.status}`);
  const card = await response.json();
  const strides = [7, 11, 13, 17, 19, 23, 29, 31];
  const instances = Array.from({ length: count }, (_, index) =>
    Object.fromEntries(
      card.features.map((feature, position) => {
        const step = (index * strides[position % strides.length]) % 100;
        if (feature.type === 'number') {
          return [feature.name, Number((feature.min + ((feature.max - feature.min) * step) / 99).toFixed(1))];
        }
        return [feature.name, feature.values[(index + position) % feature.values.length]];
      }),
    ),
  );
  // Rounding to one decimal could step just outside a range: clamp, so no answer carries a warning.
  for (const instance of instances) {
    for (const feature of card.features) {
      if (feature.type === 'number') {
        instance[feature.name] = Math.min(feature.max, Math.max(feature.min, instance[feature.name]));
      }
    }
  }
  return { card, instances };
}
