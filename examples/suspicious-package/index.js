module.exports = function helpers() { return {}; };
