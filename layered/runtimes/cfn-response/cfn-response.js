// layered's cfn-response module: what CloudFormation adds beside inline
// Node.js code (Code.ZipFile) that calls require('cfn-response'), so that a
// custom resource's handler can answer CloudFormation (NODE_PATH has
// /var/task). send() PUTs the response object to the request's ResponseURL
// (a presigned S3 URL on AWS), then ends the invocation through
// context.done, as the module it stands in for does. Written for layered,
// built-ins only.
'use strict';

exports.SUCCESS = 'SUCCESS';
exports.FAILED = 'FAILED';

exports.send = function send(event, context, responseStatus, responseData, physicalResourceId, noEcho) {
  const body = JSON.stringify({
    Status: responseStatus,
    Reason: 'See the details in CloudWatch Log Stream: ' + context.logStreamName,
    PhysicalResourceId: physicalResourceId || context.logStreamName,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    NoEcho: noEcho || false,
    Data: responseData,
  });
  console.log('Response body:\n', body);
  const url = new URL(event.ResponseURL);
  const client = require(url.protocol === 'https:' ? 'https' : 'http');
  const finish = () => (typeof context.done === 'function' ? context.done() : undefined);
  const request = client.request(
    url,
    { method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) } },
    (response) => {
      console.log('Status code: ' + response.statusCode);
      response.resume();
      response.on('end', finish);
    },
  );
  request.on('error', (error) => {
    console.log('send(..) failed executing https.request(..): ' + error);
    finish();
  });
  request.end(body);
};
