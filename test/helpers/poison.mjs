// Every output NaN-poisoned before its kernel runs, also the ones the binding normally hands back zeroed because
// their kernel writes every element (groupAdvantages, broadcastToTokens, reinforcePP): an element left unwritten
// then fails the comparison with the reference instead of passing as a plausible 0. Import before the first call.
process.env.INFOGAIN_POISON_OUTPUTS = '1';
