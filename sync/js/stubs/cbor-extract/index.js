module.exports = null; // cbor-x then decodes in pure JS
